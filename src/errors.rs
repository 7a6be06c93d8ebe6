//! Errors said to people: a library error keeps its source chain (the
//! path as context, the operating system's reason beneath it), and only
//! the final print turns it into one line, each cause after a colon, with
//! the common system errors in Chinese.

use std::error::Error;
use std::io::ErrorKind;

/// An error and all its causes as one line: `无法读取计划表 plan.xlsx：找不到该文件或文件夹`.
pub fn chain(e: &dyn Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = match c.downcast_ref::<std::io::Error>() {
            Some(io) => describe_io(io),
            None => c.to_string(),
        };
        // Some errors repeat their source in their own text.
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    parts.retain(|p| !p.is_empty());
    parts.join("：")
}

/// An operating-system error as a clerk reads it.
pub fn describe_io(e: &std::io::Error) -> String {
    let said = match e.kind() {
        ErrorKind::NotFound => "找不到该文件或文件夹，请检查路径",
        ErrorKind::PermissionDenied => "没有访问权限，请检查文件或文件夹的权限",
        ErrorKind::IsADirectory => "这是一个文件夹，不是文件",
        ErrorKind::NotADirectory => "路径中有一部分不是文件夹",
        ErrorKind::StorageFull => "磁盘已满，请清理磁盘空间后重试",
        ErrorKind::ReadOnlyFilesystem => "磁盘是只读的，无法写入",
        ErrorKind::AlreadyExists => "文件已存在",
        ErrorKind::DirectoryNotEmpty => "文件夹不是空的",
        ErrorKind::ConnectionRefused => "连接被拒绝，请检查服务器地址和端口",
        ErrorKind::TimedOut => "连接超时",
        ErrorKind::BrokenPipe => "输出管道已关闭",
        ErrorKind::FileTooLarge => "文件过大",
        ErrorKind::OutOfMemory => "内存不足",
        _ => return e.to_string(),
    };
    said.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("无法读取计划表 plan.xlsx")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_chain_reads_as_one_chinese_line() {
        let e = Outer(std::io::Error::from(ErrorKind::NotFound));
        assert_eq!(
            chain(&e),
            "无法读取计划表 plan.xlsx：找不到该文件或文件夹，请检查路径"
        );
        let full = std::io::Error::from(ErrorKind::StorageFull);
        assert!(describe_io(&full).contains("磁盘已满"));
    }
}
